import ElementPlus, { ElMessage } from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import 'element-plus/dist/index.css'
import * as Icons from '@element-plus/icons-vue'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { installSession } from './api/client'
import { makeRouter } from './router'
import { useSession } from './stores/session'
import './styles.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
const router = makeRouter()
app.use(router)
app.use(ElementPlus, { locale: zhCn })
for (const [name, component] of Object.entries(Icons)) app.component(name, component)

const session = useSession(pinia)
installSession({
  accessToken: () => session.tokens?.access ?? null,
  refreshToken: () => session.tokens?.refresh ?? null,
  saveTokens: (t) => session.saveTokens(t),
  expired: () => {
    const here = router.currentRoute.value
    session.clear()
    if (here.name !== 'login') {
      ElMessage.warning('登录已过期，请重新登录')
      void router.push({ name: 'login', query: { redirect: here.fullPath } })
    }
  },
  notify: (message) => {
    ElMessage.error(message)
  },
})

app.mount('#app')
